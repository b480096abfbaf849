"""Form fields shared by every form.

`TextAreaField` counts a line break once. Browsers send a line break in a
textarea as CR LF but count it as one character against `maxlength` (and the
text is stored with LF, `markup.clean_text`), so without this a reply the
browser allowed at 20,000 characters with a few paragraphs was refused as "more
than 20,000 characters". With it, `Length(max=…)`, the browser and the counter in
static/js/length-check.js agree.
"""
from __future__ import annotations

from wtforms import TextAreaField as _TextAreaField


class TextAreaField(_TextAreaField):
    """A textarea whose line breaks are LF, so each counts as one character."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data:
            self.data = self.data.replace("\r\n", "\n").replace("\r", "\n")

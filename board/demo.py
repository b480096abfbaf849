"""Demo content for `flask --app board seed --demo` (placeholder)."""


def seed_demo():
    return ["Demo content: nothing yet."]

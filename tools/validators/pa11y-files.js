#!/usr/bin/env node
// pa11y (HTML_CodeSniffer, WCAG 2 AA) over many pages with ONE Chromium (Debian's, never a
// downloaded one): node pa11y-files.js CHROMIUM URL... → JSON {url: [issues]} on stdout.
'use strict';
const pa11y = require('pa11y');
const puppeteer = require('puppeteer');

async function main() {
  const [executablePath, ...urls] = process.argv.slice(2);
  const browser = await puppeteer.launch({
    executablePath, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--allow-file-access-from-files'],
  });
  const results = {};
  try {
    for (const url of urls) {
      const page = await browser.newPage();
      try {
        const result = await pa11y(url, {
          browser, page, standard: 'WCAG2AA', runners: ['htmlcs'], includeWarnings: false,
          includeNotices: false, timeout: 30000,
        });
        results[url] = result.issues.filter((i) => i.type === 'error');
      } finally {
        await page.close();
      }
    }
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(results));
}

main().catch((err) => { console.error(err); process.exit(2); });

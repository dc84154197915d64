// End-to-end tests start the whole stack and a browser.
jest.setTimeout(300_000);

// Integration tests start real brokers, models and servers: give them time (testTimeout is not a per-project option).
jest.setTimeout(120_000);

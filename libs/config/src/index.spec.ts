import { z } from 'zod';
import { ConfigError, env, loadConfig } from './index';

const schema = z.object({
  PORT: env.port(8080),
  API_KEYS: env.list(),
  DEBUG: env.boolean(false),
  MAX_BATCH: env.positiveInt(32),
});

describe(loadConfig.name, () => {
  it('applies defaults that run the embedded mode', () => {
    expect(loadConfig('test', schema, {})).toEqual({ PORT: 8080, API_KEYS: [], DEBUG: false, MAX_BATCH: 32 });
  });

  it('coerces and freezes the result', () => {
    const config = loadConfig('test', schema, { PORT: '9000', API_KEYS: 'a, b', DEBUG: 'yes' });
    expect(config).toMatchObject({ PORT: 9000, API_KEYS: ['a', 'b'], DEBUG: true });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.API_KEYS)).toBe(true);
  });

  it('names every bad variable at once, hiding secret values', () => {
    const secretSchema = schema.extend({ ADMIN_API_KEY: z.string().min(16) });
    try {
      loadConfig('query-api', secretSchema, { PORT: 'eighty', MAX_BATCH: '0', DEBUG: 'maybe', ADMIN_API_KEY: 'short-secret' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect(message).toContain('query-api');
      expect(message).toContain('PORT ("eighty")');
      expect(message).toContain('MAX_BATCH ("0")');
      expect(message).toContain('DEBUG ("maybe")');
      expect(message).toContain('ADMIN_API_KEY (set (hidden))');
      expect(message).not.toContain('short-secret');
    }
  });
});

import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { QueryApiClient, type AskResponse, type DescribeResponse, type PhotoArgument } from '../api/query-api.client';
import { apiUrlOption, jsonOption, timeoutOption } from '../cli/common-options';
import { UsageError } from '../cli/errors';

interface ApiOptions {
  json?: boolean;
  apiUrl: string;
  timeout: number;
}

/**
 * `vsearch describe <image|url>` and `vsearch ask <image|url|product-id> "<question>"`: the describer
 * model (alt text, answers about a photo) through the query API's POST /v1/describe and /v1/ask.
 */
export function registerCommand(program: Command): void {
  program
    .command('describe')
    .description('describe a photo in words (alt text) and list the catalog attributes the description names, through the query API')
    .argument('<image|url>', 'a local JPEG, PNG or WebP file, or an http(s) URL')
    .addOption(jsonOption())
    .addOption(apiUrlOption())
    .addOption(timeoutOption())
    .addHelpText('after', ['', 'Examples:', '  $ vsearch describe ./jacket.jpg', '  $ vsearch describe https://images.example.com/p/123.jpg --json'].join('\n'))
    .action(async (photo: string, options: ApiOptions) => {
      const response = await new QueryApiClient(options.apiUrl, { timeoutMs: options.timeout }).describe(photoArgument(photo));
      process.stdout.write(`${options.json ? JSON.stringify(response, null, 2) : formatDescription(response)}\n`);
    });

  program
    .command('ask')
    .description('ask a question about a photo or a stored product ("what colour is it?", "is it striped?"), through the query API')
    .argument('<image|url|product-id>', 'a local photo file, an http(s) URL, or the id of an indexed product (asked about through its first image)')
    .argument('<question...>', 'the question, e.g. "is it striped?"')
    .addOption(jsonOption())
    .addOption(apiUrlOption())
    .addOption(timeoutOption())
    .addHelpText(
      'after',
      [
        '',
        'Questions the photo cannot answer (price, size, material, brand), and words the model does not know, are answered',
        '"i can\'t tell from the photo" (exit status 0; --json shows answerable: false and the unknown words).',
        '',
        'Examples:',
        '  $ vsearch ask ./mug.png "what colour is it?"',
        '  $ vsearch ask p-000042 "is it striped?"',
      ].join('\n'),
    )
    .action(async (subject: string, words: string[], options: ApiOptions) => {
      const question = words.join(' ').trim();
      if (!question) throw new UsageError('the question is empty: give one, e.g. vsearch ask ./photo.jpg "what colour is it?"');
      const target = isPhoto(subject) ? photoArgument(subject) : { kind: 'product' as const, productId: subject };
      const response = await new QueryApiClient(options.apiUrl, { timeoutMs: options.timeout }).ask(target, question);
      process.stdout.write(`${options.json ? JSON.stringify(response, null, 2) : formatAnswer(response)}\n`);
    });
}

function isPhoto(argument: string): boolean {
  return /^https?:\/\//i.test(argument) || existsSync(argument);
}

function photoArgument(argument: string): PhotoArgument {
  return /^https?:\/\//i.test(argument) ? { kind: 'url', imageUrl: argument } : { kind: 'file', file: argument };
}

export function formatDescription(response: DescribeResponse): string {
  const attributes = Object.entries(response.attributes).map(([name, value]) => `${name}: ${value}`);
  return [response.description, attributes.length > 0 ? attributes.join(', ') : 'names no catalog attribute', `(model ${response.model})`].join('\n');
}

export function formatAnswer(response: AskResponse): string {
  const unknown = response.unknownWords.length > 0 ? `\nwords the model does not know: ${response.unknownWords.join(', ')}` : '';
  return `${response.answer}${unknown}`;
}

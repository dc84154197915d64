import { BadRequestException, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { DependencyUnavailableError, InvalidRequestError, NotFoundError, OverloadedError } from '@vsearch/contracts';
import { ImageInputError } from '../ports';
import { RateLimitedError } from '../services/rate-limited.error';
import { toErrorAnswer } from './error-response';

const RETRY_AFTER_SECONDS = 7;
const answerFor = (error: unknown) => toErrorAnswer(error, RETRY_AFTER_SECONDS, 'req-1');

describe(toErrorAnswer.name, () => {
  it.each([
    [new InvalidRequestError('empty_image', 'the image is empty'), 400, 'empty_image'],
    [new NotFoundError('product_not_found', 'no product p9 in the index'), 404, 'product_not_found'],
    [new ImageInputError('url_refused', 'cannot use the image URL'), 400, 'image_url_refused'],
    [new ImageInputError('fetch_failed', 'the host did not answer'), 422, 'image_fetch_failed'],
    [new ImageInputError('too_large', 'image is 11 MB'), 413, 'payload_too_large'],
    [new ImageInputError('unsupported_format', 'not a JPEG, PNG or WebP'), 415, 'unsupported_media_type'],
    [new ImageInputError('undecodable', 'truncated'), 422, 'image_undecodable'],
  ])('answers %p with %i %s and its message', (error, status, code) => {
    expect(answerFor(error)).toEqual({ status, headers: {}, body: { error: { code, message: error.message, requestId: 'req-1' } }, unexpected: false });
  });

  it("answers the rate limiter's refusal with 429 and its own Retry-After", () => {
    const answer = answerFor(new RateLimitedError('too many requests; retry after 3 s', 3));
    expect(answer).toMatchObject({
      status: 429,
      headers: { 'Retry-After': '3' },
      body: { error: { code: 'rate_limited', message: 'too many requests; retry after 3 s' } },
    });
  });

  it('answers a full decode queue with 503 and its estimated Retry-After, or the configured one', () => {
    const message = 'too many images are being decoded right now (1 running, 2 waiting); retry in 2 s';
    expect(answerFor(new OverloadedError(message, 2))).toMatchObject({
      status: 503,
      headers: { 'Retry-After': '2' },
      body: { error: { code: 'overloaded', message } },
    });
    expect(answerFor(new OverloadedError('full'))).toMatchObject({ status: 503, headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } });
  });

  it('answers a dependency outage with 503 and the configured Retry-After, keeping the details for the log', () => {
    const answer = answerFor(new DependencyUnavailableError('search', 'connect ECONNREFUSED 10.0.0.7:50052'));
    expect(answer).toMatchObject({ status: 503, headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) }, body: { error: { code: 'dependency_unavailable' } } });
    expect(answer.body.error.message).toBe(`the search service is unavailable right now; retry in ${RETRY_AFTER_SECONDS} s`);
  });

  it("keeps the status of Nest's HTTP exceptions and names unknown routes plainly", () => {
    expect(answerFor(new UnauthorizedException('the X-Api-Key header is required')).body.error).toMatchObject({
      code: 'unauthorized',
      message: 'the X-Api-Key header is required',
    });
    expect(answerFor(new BadRequestException('Unexpected field')).body.error).toMatchObject({ code: 'bad_request', message: 'Unexpected field' });
    expect(answerFor(new NotFoundException('Cannot GET /v2/x'))).toMatchObject({
      status: 404,
      body: { error: { code: 'not_found', message: 'no such route' } },
    });
  });

  it('answers anything else with a bare 500, flagged for the log', () => {
    expect(answerFor(new TypeError("cannot read properties of undefined (reading 'hits')"))).toMatchObject({
      status: 500,
      body: { error: { code: 'internal', message: 'internal error' } },
      unexpected: true,
    });
  });
});

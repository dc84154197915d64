/**
 * gRPC handlers of visualsearch.describer.v1.DescriberService: each validates the request
 * (describe-requests.ts), delegates in one call to DescriberService, and maps the result with the
 * describer codec. Errors keep a status a client can act on (grpc-error.mapping.ts, through
 * call-handling.ts); anything else becomes INTERNAL.
 */
import type { ServerUnaryCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import { describerCodec } from '@vsearch/grpc-clients';
import { unary } from '@vsearch/grpc-kit';
import type { Logger } from '@vsearch/observability';
import type { describerV1 } from '@vsearch/proto';
import type { DescriberMetrics } from '../metrics/describer.metrics';
import type { DescriberService } from '../services/describer.service';
import { handleCall, type CallOptions } from './call-handling';
import { parseAskRequest, parseDescribeRequest, type DescribeLimits } from './describe-requests';

export class DescriberGrpcHandler {
  constructor(
    private readonly describer: DescriberService,
    private readonly limits: DescribeLimits,
    private readonly metrics: DescriberMetrics,
    private readonly logger: Logger,
  ) {}

  implementation(): UntypedServiceImplementation {
    return {
      describe: unary((request: describerV1.DescribeRequest, call) => this.handle('Describe', call, (options) => this.describe(request, options))),
      ask: unary((request: describerV1.AskRequest, call) => this.handle('Ask', call, (options) => this.ask(request, options))),
      getDescriberInfo: unary((_request: describerV1.GetDescriberInfoRequest, call) =>
        this.handle('GetDescriberInfo', call, async () => describerCodec.describerInfoToProto(this.describer.info())),
      ),
    };
  }

  private async describe(request: describerV1.DescribeRequest, options: CallOptions): Promise<describerV1.DescribeResponse> {
    const { images, ...decoding } = parseDescribeRequest(request, this.shape(), this.limits);
    this.metrics.requests.inc({ method: 'Describe', lane: decoding.lane });
    return describerCodec.descriptionsToProto(await this.describer.describe(images, { ...options, ...decoding }));
  }

  private async ask(request: describerV1.AskRequest, options: CallOptions): Promise<describerV1.AskResponse> {
    const { image, question, ...decoding } = parseAskRequest(request, this.shape(), this.limits);
    this.metrics.requests.inc({ method: 'Ask', lane: decoding.lane });
    const answer = await this.describer.ask(image, question, { ...options, ...decoding });
    if (answer.unknownWords.length > 0) this.metrics.unknownWordQuestions.inc();
    return describerCodec.answerToProto(answer);
  }

  private shape() {
    const info = this.describer.info();
    return { imageSize: info.imageSize, maxNewTokens: info.maxNewTokens };
  }

  private handle<T>(method: string, call: ServerUnaryCall<unknown, unknown>, work: (options: CallOptions) => Promise<T>): Promise<T> {
    return handleCall({ logger: this.logger, errors: this.metrics.errors }, method, call, work);
  }
}

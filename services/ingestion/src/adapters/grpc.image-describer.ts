/**
 * ImageDescriber over the describer's gRPC client (`DescriberClient`, served by the embedder
 * process): the bulk lane, and the translation of DescriberCallError into the platform's errors
 * by the same rule as the embedder's (`toPlatformError`): transient statuses, INTERNAL, UNKNOWN
 * and UNIMPLEMENTED (a model server without the describer) pause ingestion; any other status
 * refuses the image's pixels for good.
 */
import { status } from '@grpc/grpc-js';
import { DependencyUnavailableError, RejectedByDependencyError } from '@vsearch/contracts';
import { DescriberCallError, DescriberClient } from '@vsearch/grpc-clients';
import { ImageDescriber, type DescriberModel } from '../ports';

const DESCRIBER_FAULTS: ReadonlySet<status> = new Set([status.INTERNAL, status.UNKNOWN, status.UNIMPLEMENTED]);

export class GrpcImageDescriber extends ImageDescriber {
  private readonly client: DescriberClient;

  constructor(
    address: string,
    private readonly deadlineMs: number,
  ) {
    super();
    this.client = new DescriberClient({ address, defaultDeadlineMs: deadlineMs });
  }

  async modelInfo(): Promise<DescriberModel> {
    try {
      const info = await this.client.info({ deadlineMs: 5_000 });
      return { modelId: info.modelId, imageSize: info.imageSize };
    } catch (error) {
      throw describerError(error);
    }
  }

  async describePixels(pixels: Uint8Array): Promise<string> {
    try {
      const { descriptions } = await this.client.describe([pixels], { priority: 'bulk', deadlineMs: this.deadlineMs });
      return descriptions[0].text;
    } catch (error) {
      throw describerError(error);
    }
  }

  close(): void {
    this.client.close();
  }
}

export function describerError(error: unknown): Error {
  if (!(error instanceof DescriberCallError)) return new DependencyUnavailableError('describer', (error as Error).message, { cause: error });
  if (error.isTransient || DESCRIBER_FAULTS.has(error.code)) return new DependencyUnavailableError('describer', error.message, { cause: error });
  return new RejectedByDependencyError('describer', status[error.code] ?? String(error.code), error.message);
}

/** The embedder's Nest module: wires the model runtime, the image decoder, the batching service and the gRPC handlers. */
import { Module, type DynamicModule } from '@nestjs/common';
import { ModelRuntime } from '@vsearch/model';
import type { Logger } from '@vsearch/observability';
import type { EmbedderConfig } from './config';
import { EmbedderGrpcController } from './controllers/embedder.grpc-controller';
import { EmbedderMetrics } from './metrics/embedder.metrics';
import { EmbeddingService } from './services/embedding.service';
import { ImageDecoder } from './services/image-decoder';
import { EMBEDDER_CONFIG, EMBEDDER_LOGGER } from './tokens';

export interface EmbedderModuleDeps {
  config: EmbedderConfig;
  logger: Logger;
  runtime: ModelRuntime;
  metrics: EmbedderMetrics;
  decoder: ImageDecoder;
}

@Module({})
export class EmbedderModule {
  static register({ config, logger, runtime, metrics, decoder }: EmbedderModuleDeps): DynamicModule {
    return {
      module: EmbedderModule,
      providers: [
        { provide: EMBEDDER_CONFIG, useValue: config },
        { provide: EMBEDDER_LOGGER, useValue: logger },
        { provide: ModelRuntime, useValue: runtime },
        { provide: EmbedderMetrics, useValue: metrics },
        { provide: ImageDecoder, useValue: decoder },
        {
          provide: EmbeddingService,
          inject: [ModelRuntime, ImageDecoder, EMBEDDER_CONFIG, EmbedderMetrics],
          useFactory: (model: ModelRuntime, images: ImageDecoder, settings: EmbedderConfig, counters: EmbedderMetrics) =>
            new EmbeddingService(model, images, settings.batching, counters),
        },
        {
          provide: EmbedderGrpcController,
          inject: [EmbeddingService, EMBEDDER_CONFIG, EmbedderMetrics, EMBEDDER_LOGGER],
          useFactory: (embeddings: EmbeddingService, settings: EmbedderConfig, counters: EmbedderMetrics, log: Logger) =>
            new EmbedderGrpcController(embeddings, settings.limits, counters, log),
        },
      ],
      exports: [EmbeddingService, EmbedderGrpcController],
    };
  }
}

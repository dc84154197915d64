/** The index generations for the admin API (query-api proxies GET /v1/admin/generations here): status, model, size, swap times, gate reports. */
import { Controller, Get, Inject } from '@nestjs/common';
import type { GenerationInfo } from '@vsearch/contracts';
import { GenerationHistory } from '../services/generation-history';

@Controller('internal/generations')
export class GenerationsController {
  constructor(@Inject(GenerationHistory) private readonly history: GenerationHistory) {}

  @Get()
  async list(): Promise<{ generations: GenerationInfo[] }> {
    const generations = await this.history.list();
    return { generations: generations.map(({ drop: _drop, ...generation }) => generation) };
  }
}

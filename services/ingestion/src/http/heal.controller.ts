/** Self-heal state for `vsearch status`: idle, waiting (and for what) or healing (the damage, the job, the generation it fills), and the last outcome. */
import { Controller, Get, Inject } from '@nestjs/common';
import { CollectionHealer, type HealStatus } from '../services/collection-healer';

@Controller('internal/heal')
export class HealController {
  /** Null when SELF_HEAL is off. */
  constructor(@Inject(CollectionHealer) private readonly healer: CollectionHealer | null) {}

  @Get()
  status(): ({ enabled: true } & HealStatus) | { enabled: false } {
    return this.healer ? { enabled: true, ...this.healer.currentStatus() } : { enabled: false };
  }
}

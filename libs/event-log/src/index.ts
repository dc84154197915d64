export * from './event-log.port';
export * from './file.event-log';
export * from './kafka.event-log';
export * from './kafka-connection';
export * from './dead-letter.publisher';
export * from './catalog-file';
export * from './create-event-log';

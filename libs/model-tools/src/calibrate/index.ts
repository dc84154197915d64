// Score cut-offs derived from data (`vsearch models calibrate`): the threshold math, the queries and photos asked, the run.
export * from './score-threshold';
export * from './calibration-queries';
export * from './calibrate-model';

export { analyseTests, labelOf, LABEL_HORIZON, type AnalyseTestsOptions } from './analyse-tests.js'
export { describeModel, initialModel, loadModel, PRIOR_WEIGHTS, PRIOR_BIAS, PRIOR_THRESHOLDS, SIGNALS, type ModelDescription } from './meta-learner.js'
export { MIN_RUNS, RECOVERED_RUNS } from './verdict-rules.js'
export type * from './types.js'

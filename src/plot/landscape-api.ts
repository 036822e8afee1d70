// The public names of the landscape pictures (issue #6): contour plots with optimizer paths.
export { landscapeSvg, landscapeLevels, type LandscapeSurface, type LandscapeRun, type LandscapeOptions } from './landscape.js';
export {
  optimizerTrajectory, landscapeProblem, defaultLearningRate, hasLearningRate,
  LANDSCAPE_FUNCTIONS, TRAJECTORY_OPTIMIZERS, OPTIMIZER_LABELS, LANDSCAPE_LR,
  type LandscapeFunction, type TrajectoryOptimizer, type LandscapeProblem, type TrajectoryOptions, type Trajectory,
  type TrajectoryProblem,
} from './trajectories.js';

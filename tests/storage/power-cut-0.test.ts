import { powerCutSuite } from './power-cut-suite';

powerCutSuite(0);

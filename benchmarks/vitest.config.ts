import { withSource } from '../vitest.base';

export default withSource();

// Exit 0 when the native TensorFlow backend loads here (scripts/test.sh uses it to run the suites on it).
import { initBackend } from '@cfm/tensor';

initBackend({ prefer: 'tensorflow', quiet: true }).then(
  () => process.exit(0),
  () => process.exit(1),
);

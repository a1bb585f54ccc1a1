import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import html from 'eslint-plugin-html';

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'test-output/', 'node_modules/', 'demo/userdir/', '.node-red/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly', __dirname: 'readonly',
        Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly',
        clearInterval: 'readonly', URL: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['node'] }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The layers below the adapters never reach up: the protocol, the watcher, the ledger, the emulator and the
    // ESC/POS capture server run without Node-RED (the emulator ships as its own command), so neither Node-RED
    // nor the adapters in src/nodes may be imported there (ARCHITECTURE.md).
    files: ['src/seqr/**/*.ts', 'src/watcher/**/*.ts', 'src/ledger/**/*.ts', 'src/emulator/**/*.ts', 'src/pos/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [
          { group: ['node-red', 'node-red/*', '@node-red/*'], message: 'Only src/nodes talks to Node-RED.' },
          { group: ['../nodes', '../nodes/*', '../demo', '../demo/*'], message: 'A lower layer does not import the adapters or the demo.' },
        ],
      }],
    },
  },
  {
    // CommonJS entry points that Node-RED and npm load directly.
    files: ['nodes/**/*.js', 'bin/**/*.js', 'bench/**/*.js', 'scripts/**/*.js', 'test/**/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The editor's code: the <script type="text/javascript"> of nodes/*.html (eslint-plugin-html lints those and
    // skips the text/html templates and help), run by the browser in Node-RED's editor, plain ES5-style scripts.
    files: ['nodes/**/*.html'],
    plugins: { html },
    languageOptions: {
      sourceType: 'script',
      globals: { window: 'readonly', document: 'readonly', RED: 'readonly', $: 'readonly', jQuery: 'readonly' },
    },
  },
  {
    // Browser globals for the payer app's scripts and any editor .js under nodes/resources.
    files: ['nodes/resources/**/*.js', 'payer-app/**/*.js'],
    languageOptions: { globals: { window: 'readonly', document: 'readonly', fetch: 'readonly', RED: 'readonly', $: 'readonly' } },
  },
);

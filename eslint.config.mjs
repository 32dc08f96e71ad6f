import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'proto/generated/**', 'certs/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'describe', property: 'only' },
        { object: 'it', property: 'only' },
      ],
    },
  },
  {
    files: ['agent/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/master/**', '../master/*'] }] },
  },
  {
    files: ['master/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/agent/**', '../agent/*'] }] },
  },
  {
    // One key for errors in log records, holding the error itself: the logger writes its message and code.
    files: ['agent/**/*.ts', 'master/**/*.ts', 'shared/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "CallExpression[callee.property.name=/^(debug|info|warn|error)$/] > ObjectExpression > Property[key.name='error']",
          message: 'log an error under `err` (shared/logger.ts ERROR_KEY)',
        },
        {
          selector:
            "CallExpression[callee.property.name=/^(debug|info|warn|error)$/] > ObjectExpression > Property[key.name='err'] > CallExpression[callee.name='errorMessage']",
          message: 'pass the error object as `err`: the logger writes its message and code',
        },
      ],
    },
  },
  {
    files: ['**/*.mjs', 'test/fixtures/**/*.js'],
    languageOptions: { globals: globals.node },
  },
  {
    // The dashboard's page script (gov ui): a plain browser script with uPlot loaded before it.
    files: ['master/cli/ui/static/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { ...globals.browser, uPlot: 'readonly' } },
  },
);

// ESLint (typescript-eslint, without type information so it stays fast): what it flags is a likely bug or dead code,
// not style; formatting is prettier's (`npm run format`; `npm run lint` checks it).
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // samples are the users' apps that run in containers; the schema validator is generated (ajv standalone)
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'samples/**', 'schemas/*.cjs'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  // the repository's plain-JS scripts run on Node
  { files: ['**/*.mjs', '**/*.js'], languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } } },
  {
    rules: {
      // the Docker Engine API's JSON is typed `any` at the edges on purpose (records mirror Docker's shapes)
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // control characters are what some patterns are about (names, terminal escapes)
      'no-control-regex': 'off',
    },
  },
);

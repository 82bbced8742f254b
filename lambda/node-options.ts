/**
 * NODE_OPTIONS of the deployed function. V8's default young generation
 * (up to 3 x 16 MB semi-spaces) and lazy old-space growth let a first run
 * over thousands of Secrets reach twice the resident memory it needs;
 * these limits keep the heap near its live size (`npm run bench` measures
 * with them).
 */
export const FUNCTION_NODE_OPTIONS = '--max-semi-space-size=2 --max-old-space-size=96';

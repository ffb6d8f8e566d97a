import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// ajv-formats is CommonJS with a default export; under Node's ESM interop it arrives as the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const common: Options = {
  allErrors: true,
  // Never silently drop what a client sent: unknown properties are an error where a schema forbids them.
  removeAdditional: false,
  useDefaults: true,
  // Schemas carry OpenAPI annotations (description, title, examples); they are not validation keywords.
  strict: false,
};

function withFormats(ajv: Ajv): Ajv {
  addFormats(ajv);
  return ajv;
}

/**
 * Query strings and path parameters arrive as text, so they are coerced (`limit=10` → 10). JSON bodies are not:
 * `"age": "42"` for a number field is a client mistake and must be rejected, not guessed (Fastify's default
 * single Ajv instance coerces every part alike).
 */
const compilers = {
  body: withFormats(new Ajv({ ...common, coerceTypes: false })),
  coerced: withFormats(new Ajv({ ...common, coerceTypes: 'array' })),
};

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? compilers.body : compilers.coerced;
  return ajv.compile(schema as object);
};

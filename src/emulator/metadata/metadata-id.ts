import { createHash } from 'node:crypto';

/**
 * A stable GUID derived from a name (entity, attribute, option set…). Metadata ids must not change between
 * runs: clients cache them (RetrievePrincipalAttributePrivileges answers with attribute MetadataIds).
 */
export function metadataId(...parts: string[]): string {
  const hex = createHash('sha1').update(parts.join('/')).digest('hex');
  // Shaped like a version-5 UUID so strict GUID parsers accept it.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The provider key pair: generate, load from the user's file, write to disk. */
export {
  generateProviderKeyPair,
  keyIdOf,
  writeKeyPair,
  KEY_PAIR_FILES,
  SIGNING_ALGORITHMS,
  type GenerateProviderKeyPairOptions,
  type ProviderKeyPair,
  type SigningAlgorithm,
} from './generate-key-pair.ts';
export { loadKeyPair, type LoadKeyPairOptions } from './load-key-pair.ts';

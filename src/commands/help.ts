// --help text: every command, flag and environment variable.
export const HELP = `passport-mcp: discover, verify and call AI models through signed passports (an MCP server).

Usage:
  passport-mcp [options]                  run the MCP server on stdio (the default)
  passport-mcp serve [options] [IMAGE_DIR...]
                                          the same; IMAGE_DIRs are image roots (how the Claude Desktop bundle passes them)
  passport-mcp serve --http HOST:PORT     run it over Streamable HTTP instead (loopback by default)
  passport-mcp find "<intent>" [--limit N] [--json]
  passport-mcp verify <slug|file> [--json]
  passport-mcp failures <slug> [--json]
  passport-mcp invoke "<prompt>" [--image FILE]... [--json]
  passport-mcp list [--json]
  passport-mcp trust pin ISSUER [--yes] [--replace]
                                          fetch ISSUER's key from the registry, show its fingerprint, pin it
  passport-mcp trust list [--json] | trust remove ISSUER

Options (flag / environment variable):
  --passports PATH          PASSPORT_MCP_PASSPORTS (':'-joined)   passport file, JSON array file, or directory of *.json; repeatable
  --no-builtin              PASSPORT_MCP_NO_BUILTIN=1              do not load the built-in Mistral Small 3.1 passport
  --trust-key ISSUER=KEY    PASSPORT_MCP_TRUST_KEYS (','-joined)   trust this Ed25519 key for ISSUER; KEY in base64, base64url, hex or PEM SPKI; repeatable
  --offline                 PASSPORT_MCP_OFFLINE=1                 never touch the network for passports or keys
  --registry-url URL        PASSPORT_MCP_REGISTRY_URL              registry API base (default https://unfragile.ai/api/v1)
  --registry-timeout MS     PASSPORT_MCP_REGISTRY_TIMEOUT          how long find waits for the registry before answering locally (default 3000)
  --cache-dir DIR           PASSPORT_MCP_CACHE_DIR                 where registry passports are kept between runs (default: the user cache dir)
  --no-cache                                                       neither read nor write the registry cache
  --config-dir DIR          PASSPORT_MCP_CONFIG_DIR                where pinned issuer keys live (default: the user config dir)
  --image-root DIR          PASSPORT_MCP_IMAGE_ROOTS (':'-joined)  directories invoke_model may read images from; repeatable
  --provider NAME           PASSPORT_MCP_PROVIDER                  openrouter | mistral | openai-compatible
  --require-verified        PASSPORT_MCP_REQUIRE_VERIFIED=1        refuse to invoke a model whose passport does not verify
  --log-level LEVEL         PASSPORT_MCP_LOG_LEVEL                 debug | info | warning | error (stderr; default info)
  --http HOST:PORT                                                 serve Streamable HTTP (stateless) instead of stdio
  --json                                                           subcommands: print JSON instead of text
  -y, --yes / --replace                                            trust pin: pin without asking / replace a pin whose key changed
  -h, --help / -v, --version

LLM credentials (environment only):
  OPENROUTER_API_KEY, OPENROUTER_BASE_URL          OpenRouter (default https://openrouter.ai/api/v1)
  MISTRAL_API_KEY, MISTRAL_BASE_URL                Mistral's API, used when no OpenRouter key is set
  PASSPORT_MCP_LLM_BASE_URL, PASSPORT_MCP_LLM_API_KEY, PASSPORT_MCP_LLM_MODEL
                                                   any OpenAI-compatible server (vLLM, llama.cpp, Ollama)
  PASSPORT_MCP_REGISTRY_API_KEY                    registry API key (higher rate limit), sent as Authorization: Bearer
`;

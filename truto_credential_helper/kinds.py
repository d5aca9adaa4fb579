"""The names of the secret stores, as config.json's `secretStore` and --secret-store spell them, and
of the secrets a profile may hold. Imports nothing: config.json's legacy conversion, the secret
stores and the commands all name them from here.
"""

SECRET_FIELDS = ("apiToken", "anthropicApiKey", "firecrawlApiKey", "oauthRefreshToken")
KEYRING = "keyring"
FILE = "file"
PASS = "pass"
VAULT = "vault"
STORE_KINDS = (KEYRING, FILE, VAULT, PASS)  # what a user can choose with --secret-store
LEGACY_INLINE = "legacy-inline"  # read-only: secrets inline in a standalone Truto CLI config.json (legacy.py)

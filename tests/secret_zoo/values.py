"""Every secret the zoo's session shows, each in its own place (see drive.py).

Values only: they import nothing, so the test, the project and the driver share them.
A value shorter than 8 characters would be a word, not a secret to look for.
"""

SECRET_KEY = "zoo-insecure-9f3Kq2LmZx7Rt4Vw8Yb1Nc6Hd0Jf5Gs"
EMAIL_HOST_PASSWORD = "smtp-zoo-password-7"
SIGNING_KEY = "zoo-jwt-signing-key-31415"
PASSWORD = "tulip-garden-42"
"""carol's, posted to the login form, then typed into a chat line."""
ISSUED_TOKEN = "zooIssuedToken0123456789abcdef"
"""What /api/token/ hands out under "token"; the client then offers it as a subprotocol."""
ACCESS_KEY = "AKzooAccessKey246810"
"""In the websocket's query string (?access_key=); the consumer echoes it back."""
CREDENTIAL_PASS = "pass-in-credentials-1"
REFRESH_TOKEN = "refresh-zoo-0987654321"
AUTH_QUERY = "auth-query-5555aaaa"
"""In an HTTP query string (?auth=); the view echoes it in its JSON body."""
BINARY_PASSWORD = "binary-password-31"
NESTED_PASSWORD = "nested-password-77"
PROXY_PASSWORD = "proxy-pass-99zz"
MULTIPART_PASSWORD = "multipart-pass-66"
HEADER_ACCESS_KEY = "header-access-key-12"
LAYER_API_KEY = "layer-api-key-4444"
UPPER_API_KEY = "upper-api-key-2222"
KEBAB_API_KEY = "kebab-api-key-3333"
PIN = "8642-1357"
REMEMBER_COOKIE = "cookie-secret-8888zz"
"""A cookie a view sets; the consumer reads it from the socket's cookies and echoes it."""

GAP_PATH_TOKEN = "Zq8mX2vK9pL4rT7wY1bN5cH3dJ6fG0sA"
"""In a URL path (/reset/<token>/): no rule can tell it from any other segment."""
GAP_UNNAMED = "Pw3nR8tY2uI7oE5aS1dF6gH9jK4lZ0xC"
"""Under a name that is no secret's ({"note": ...}), never shown to be one before."""

GAPS = (GAP_PATH_TOKEN, GAP_UNNAMED)
"""What redaction is documented not to cover: it reaches the cassette, and lint finds it."""
SETTINGS_ONLY = (SECRET_KEY, EMAIL_HOST_PASSWORD, SIGNING_KEY)
"""Known only to the project's settings: a capture proxy in front of the server cannot know them."""
ALL = tuple(
    value
    for name, value in sorted(globals().items())
    if name.isupper() and isinstance(value, str) and value not in GAPS
)
"""Every secret of the zoo that must never reach disk."""

-- name: account_by_name
-- The account with this name.
SELECT account_id, public_uuid, name, created_at FROM accounts WHERE name = ?;

-- name: insert_account
-- A new account.
INSERT INTO accounts (public_uuid, name, created_at) VALUES (?, ?, ?);

-- name: insert_token
-- A new token (its hash only).
INSERT INTO tokens (public_uuid, account_id, name, token_hash, scopes, ip_networks,
                    max_request_bytes, expires_at, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: token_by_hash
-- What authentication needs to know about a token, with its account.
SELECT t.token_id, t.public_uuid AS token_uuid, t.name AS token_name, t.scopes, t.ip_networks,
       t.max_request_bytes, t.expires_at, t.revoked_at,
       a.account_id, a.public_uuid AS account_uuid, a.name AS account_name
FROM tokens AS t JOIN accounts AS a USING (account_id)
WHERE t.token_hash = ?;

-- name: token_exists_by_hash
-- Whether a token with this hash exists at all.
SELECT 1 FROM tokens WHERE token_hash = ?;

-- name: list_tokens
-- Every token, with its account, oldest first.
SELECT t.public_uuid AS token_uuid, t.name AS token_name, t.scopes, t.ip_networks,
       t.max_request_bytes, t.expires_at, t.revoked_at, t.created_at, a.name AS account_name
FROM tokens AS t JOIN accounts AS a USING (account_id)
ORDER BY t.token_id;

-- name: revoke_token
-- Revoke a token that is not revoked yet.
UPDATE tokens SET revoked_at = ? WHERE public_uuid = ? AND revoked_at IS NULL;

-- name: tokens_fingerprint
-- Changes whenever a token is added or revoked: the authentication cache is dropped then.
SELECT count(*) AS n, coalesce(max(token_id), 0) AS last_id,
       count(revoked_at) AS revoked FROM tokens;

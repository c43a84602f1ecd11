-- POST a new userPFXCertificate; the thumbprint is unique per request: the run's BENCH_NONCE,
-- the wrk thread and a per-thread counter.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")

local path, headers, nonce
local counter = 0
local purposes = {"smimeEncryption", "smimeSigning", "vpn", "wifi"}
local paddings = {"oaepSha256", "oaepSha384", "oaepSha512"}
-- 256 bytes of RSA-OAEP ciphertext (base64) and a PFX-like blob, both constant: the server
-- treats them as opaque.
local password = string.rep("bXkgZW5jcnlwdGVkIHBhc3N3b3Jk", 12) .. "AAAAAAAAAAAAAAAA"
local blob = "MIIJqwIBAzCCCWcGCSqGSIb3DQEHAaCCCVgEgglUMIIJUDCCBgAA" .. string.rep("QUJDRA", 80) .. "AA=="

function init(args)
   path = os.getenv("BENCH_PREFIX")
   nonce = tonumber(os.getenv("BENCH_NONCE"))
   headers = bench_headers(true)
end

function request()
   counter = counter + 1
   local thumb = string.format("%08x%08x", nonce, tid) .. "0000000000000000" ..
                 string.format("%08x", counter)
   local body = string.format(
      '{"thumbprint":"%s","userPrincipalName":"bench%d@contoso.com","intendedPurpose":"%s",' ..
      '"paddingScheme":"%s","startDateTime":"2025-03-01T09:00:00Z",' ..
      '"expirationDateTime":"2026-03-01T09:00:00Z","providerName":"Microsoft Software Key Storage Provider",' ..
      '"keyName":"PFXEncryptionKey1","encryptedPfxBlob":"%s","encryptedPfxPassword":"%s"}',
      thumb, counter % 5000, purposes[counter % 4 + 1], paddings[counter % 3 + 1], blob, password)
   return wrk.format("POST", path, headers, body)
end

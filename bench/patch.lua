-- PATCH an entity drawn at random from BENCH_IDS: a new keyName and intendedPurpose.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")

local ids, prefix, headers
local purposes = {"smimeEncryption", "smimeSigning", "vpn", "wifi"}
local counter = 0

function init(args)
   bench_seed()
   ids = bench_lines(os.getenv("BENCH_IDS"))
   prefix = os.getenv("BENCH_PREFIX")
   headers = bench_headers(true)
end

function request()
   counter = counter + 1
   local body = string.format('{"keyName":"PFXEncryptionKey-rotated-%d-%d","intendedPurpose":"%s"}',
                              tid, counter, purposes[counter % 4 + 1])
   return wrk.format("PATCH", prefix .. ids[math.random(#ids)], headers, body)
end

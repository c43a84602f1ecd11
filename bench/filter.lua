-- List with $filter=userPrincipalName eq 'user{k}@contoso.com'&$top=100, k drawn at random from
-- the seeded users (BENCH_USERS of them).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")

local prefix, headers, users

function init(args)
   bench_seed()
   prefix = os.getenv("BENCH_PREFIX")
   users = tonumber(os.getenv("BENCH_USERS"))
   headers = bench_headers(false)
end

function request()
   local k = math.random(0, users - 1)
   return wrk.format("GET", prefix .. "?$filter=userPrincipalName%20eq%20%27user" .. k ..
                     "%40contoso.com%27&$top=100", headers)
end

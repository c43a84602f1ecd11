-- GET one fixed path (BENCH_PATH), e.g. a page of a list reached through $skiptoken.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")

local req

function init(args)
   req = wrk.format("GET", os.getenv("BENCH_PATH"), bench_headers(false))
end

function request()
   return req
end

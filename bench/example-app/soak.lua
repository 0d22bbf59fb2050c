-- wrk: the soak's mixed load (bench/example-app/soak.sh). Each request is one of: list (30%),
-- detail (20%), create (15%), patch (10%), delete one of this thread's creations (15%), raw MP3
-- upload to a seeded track (10%); one request in ten asks for `Connection: close`, so that
-- connections are opened and closed all along. Reads SOAK_TOKEN (a token of the superuser) and
-- SOAK_TRACKS (tracks 1..N exist). done() prints the 2xx/4xx/5xx counts over all threads.

local token = os.getenv("SOAK_TOKEN") or ""
local tracks = tonumber(os.getenv("SOAK_TRACKS") or "50")
local mp3 = "ID3\4\0\0\0\0\0\0\255\251\144\100" .. string.rep("soak", 4096)
local threads = {}

function setup(thread)
	thread:set("seed", #threads + 1)
	table.insert(threads, thread)
end

function init(args)
	math.randomseed(seed * 7919)
	created = {}
	ok, c4, c5, other = 0, 0, 0, 0
	n = 0
end

local function headers(extra)
	local h = { ["Authorization"] = "Token " .. token, ["Accept"] = "application/json" }
	if math.random(10) == 1 then
		h["Connection"] = "close"
	end
	if extra then
		h["Content-Type"] = extra
	end
	return h
end

function request()
	n = n + 1
	local roll = math.random(100)
	local id = math.random(tracks)
	if roll <= 30 then
		return wrk.format("GET", "/api/tracks/?page_size=20&page=" .. math.random(3), headers())
	elseif roll <= 50 then
		return wrk.format("GET", "/api/tracks/" .. id .. "/", headers())
	elseif roll <= 65 or #created == 0 then
		local body = string.format('{"title":"soak %d","artist_name":"Soak","release_date":"1959-08-17"}', n)
		return wrk.format("POST", "/api/tracks/", headers("application/json"), body)
	elseif roll <= 75 then
		local body = string.format('{"title":"soak patched %d"}', n)
		return wrk.format("PATCH", "/api/tracks/" .. id .. "/", headers("application/json"), body)
	elseif roll <= 90 then
		local victim = table.remove(created)
		return wrk.format("DELETE", "/api/tracks/" .. victim .. "/", headers())
	else
		return wrk.format("POST", "/api/tracks/" .. id .. "/upload/soak.mp3/", headers("audio/mpeg"), mp3)
	end
end

function response(status, hdrs, body)
	if status == 201 then
		local id = string.match(body, '"id":%s*(%d+)')
		if id and #created < 1000 then
			table.insert(created, id)
		end
	end
	if status < 400 then
		ok = ok + 1
	elseif status < 500 then
		c4 = c4 + 1
	elseif status < 600 then
		c5 = c5 + 1
	else
		other = other + 1
	end
end

function done(summary, latency, requests)
	local t = { ok = 0, c4 = 0, c5 = 0 }
	for _, thread in ipairs(threads) do
		t.ok = t.ok + thread:get("ok")
		t.c4 = t.c4 + thread:get("c4")
		t.c5 = t.c5 + thread:get("c5")
	end
	io.write(string.format("soak-statuses: ok=%d 4xx=%d 5xx=%d\n", t.ok, t.c4, t.c5))
end

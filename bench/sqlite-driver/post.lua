-- POST /tracks with a small JSON track, a different title each time.
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  local body = '{"title":"Bench ' .. n .. '","artist_name":"wrk","release_date":"2024-05-01"}'
  return wrk.format(nil, "/tracks", nil, body)
end

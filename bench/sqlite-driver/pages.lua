-- GET /tracks?page=1 … page=100 in turn (each wrk thread has its own counter).
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/tracks?page=" .. (n % 100 + 1))
end

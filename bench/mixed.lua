-- Mixed traffic for bench/load.sh: browse, search, item pages and reservations, counting
-- 5xx answers per thread (4xx such as "none left" are expected under load).
local threads = {}
local paths = {"/items", "/items?page=2", "/items?q=stol", "/items?q=skrivbord",
               "/items?category=mobler&sort=title", "/my"}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  max_id = tonumber(os.getenv("MAX_ITEM_ID") or "1000")
  csrf = os.getenv("CSRF") or ""
  server_errors = 0
  reservations = 0
  reserved_ok = 0
  -- Ids of the reservations the server acknowledged (303 to the reservation), so the run
  -- can check that every one of them is in the database afterwards.
  acknowledged = ""
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 1000)
end

function request()
  local roll = math.random(100)
  if roll <= 15 then
    reservations = reservations + 1
    local body = "csrf_token=" .. csrf .. "&quantity=1&would_buy_new=yes&message="
    -- wrk.format uses the given headers instead of wrk.headers, so keep the cookie.
    local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
    for name, value in pairs(wrk.headers) do headers[name] = value end
    return wrk.format("POST", "/items/" .. math.random(max_id) .. "/reserve", headers, body)
  elseif roll <= 35 then
    return wrk.format("GET", "/items/" .. math.random(max_id))
  else
    return wrk.format("GET", paths[math.random(#paths)])
  end
end

function response(status, headers, body)
  if status >= 500 then server_errors = server_errors + 1 end
  local location = headers["location"] or headers["Location"]
  if status == 303 and location and location:find("^/reservations/") then
    reserved_ok = reserved_ok + 1
    local id = location:match("^/reservations/(%d+)")
    if id then acknowledged = acknowledged .. id .. "\n" end
  end
end

function done(summary, latency, requests)
  local errors, posted, reserved = 0, 0, 0
  local ids = ""
  for _, thread in ipairs(threads) do
    errors = errors + thread:get("server_errors")
    posted = posted + thread:get("reservations")
    reserved = reserved + thread:get("reserved_ok")
    ids = ids .. thread:get("acknowledged")
  end
  local file = os.getenv("ACKNOWLEDGED_FILE")
  if file then
    local out = io.open(file, "w")
    out:write(ids)
    out:close()
  end
  io.write(string.format("5xx=%d reservation_posts=%d reserved=%d\n", errors, posted, reserved))
end

-- wrk script for the "session" load shape: POST an Inform, then an empty
-- POST; the trivial ACS answers the empty POST with 204 + Connection: close,
-- so wrk reconnects and each session runs on a new TCP connection.
-- INFORM_FILE names a file holding the SOAP body of one Inform.
local f = assert(io.open(os.getenv("INFORM_FILE") or "inform.xml", "rb"))
local inform = f:read("*a")
f:close()

local inform_req = wrk.format("POST", "/", {
  ["Content-Type"] = "text/xml; charset=\"utf-8\"",
  ["SOAPAction"] = "",
}, inform)
local empty_req = wrk.format("POST", "/", { ["Content-Length"] = "0" }, "")

-- wrk asks per thread, not per connection; run one connection per thread
-- (-c equal to -t) so that each connection alternates Inform / empty POST.
local n = 0
request = function()
  n = n + 1
  if n % 2 == 1 then return inform_req end
  return empty_req
end

done = function(summary, latency, requests)
  io.write(string.format("wrk: %d requests, %.0f sessions/s\n",
    summary.requests, summary.requests / 2 / (summary.duration / 1e6)))
end

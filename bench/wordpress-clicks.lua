-- wrk script: POST the click body the browser core sends (text/plain JSON) to the path in
-- $BENCH_PATH; with $BENCH_HEADER ("Name: value") set, that header is added to every request.
local n = 0
local path = os.getenv("BENCH_PATH") or "/wp-json/reftrail/v1/clicks"
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/plain;charset=UTF-8"
wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
local extra = os.getenv("BENCH_HEADER")
if extra and extra ~= "" then
  local k, v = extra:match("^([^:]+):%s*(.*)$")
  wrk.headers[k] = v
end

request = function()
  n = n + 1
  local body = string.format(
    '{"affiliate":"bench","url":"https://www.shop.test/shoes?ref=bench&utm_campaign=spring",' ..
    '"referrer":"https://blog.example/post","consent":"granted","via":"query","landing":"/shoes",' ..
    '"visitor":"v%015d","campaign":{"utm_campaign":"spring"}}', n % 50000)
  return wrk.format(nil, path, nil, body)
end

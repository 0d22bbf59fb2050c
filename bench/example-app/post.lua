-- wrk: POST a new track, in JSON, on every request.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"title": "So What", "artist_name": "Miles Davis", "release_date": "1959-08-17"}'

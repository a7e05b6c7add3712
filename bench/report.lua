-- wrk script: prints the run's summary as "bench_key=value" lines, latency
-- in microseconds (wrk's own histogram, taken over every request).

done = function(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        "bench_requests=%d\nbench_duration_us=%d\nbench_errors=%d\n" ..
        "bench_non2xx=%d\nbench_p50_us=%d\nbench_p90_us=%d\n" ..
        "bench_p99_us=%d\nbench_max_us=%d\nbench_mean_us=%.1f\n",
        summary.requests, summary.duration,
        e.connect + e.read + e.write + e.timeout, e.status,
        latency:percentile(50), latency:percentile(90),
        latency:percentile(99), latency.max, latency.mean))
end

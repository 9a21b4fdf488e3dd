// Relay and transport tests move megabytes over real TLS sockets and watch ack timing; on a 2-core
// machine they are steadier one class at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

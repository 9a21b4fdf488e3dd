// Controller, relays and their ports share 2 cores: one test class at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

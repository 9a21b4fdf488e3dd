// Silos and HTTP hosts bind ports and share 2 cores: one test class at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

"""Staff review of synced visits: the queue, a visit's full content, bulk approval."""

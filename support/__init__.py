"""Conversations, bot turns, handoffs, outcomes and the numbers support teams steer by."""

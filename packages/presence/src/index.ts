/* @saorsa-gossip/presence: this layer is planned; its entry point exports nothing yet. */
export {}

/* @saorsa-gossip/identity: this layer is planned; its entry point exports nothing yet. */
export {}

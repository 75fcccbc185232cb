/* @saorsa-gossip/groups: this layer is planned; its entry point exports nothing yet. */
export {}

/* @saorsa-gossip/crdt-sync: this layer is planned; its entry point exports nothing yet. */
export {}

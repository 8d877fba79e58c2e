// A job whose work is done when it is created (plans and headers computed in one call): it
// answers DONE with a JSON result and, optionally, bytes at the output pointer.

import { Job, S_DONE, S_ERROR } from "./job";

export class DoneJob extends Job {
  constructor() {
    super();
    this.status = S_DONE;
  }

  run(): i32 { return this.status == S_ERROR ? S_ERROR : S_DONE; }
}

// What every judgement yields: a named check that holds or not, with what it saw.

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

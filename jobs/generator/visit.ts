/**
 * The visit event, in the shape of the Checkpointer pattern's data generator (a blogging platform):
 * one record per page a visitor sees. A visit keeps its user, referral and device for all its pages.
 */
import type { Random } from "./prng";

export interface VisitEvent {
  visit_id: string;
  /** ISO-8601 in UTC, e.g. 2024-01-01T00:00:07.250Z. */
  event_time: string;
  user_id: string;
  keep_private: boolean;
  page: string;
  context: {
    referral: string | null;
    ad_id: string | null;
    user: { ip: string; login: string | null; connected_since: string | null };
    technical: {
      browser: string;
      browser_version: string;
      network_type: string;
      device_type: string;
      device_version: string;
    };
  };
}

/** Everything about a visit that does not change from page to page. */
export type VisitProfile = Omit<VisitEvent, "event_time" | "page">;

export const PAGES = [
  "index",
  "home",
  "main",
  "about",
  "contact",
  "categories",
  "category_1",
  "category_2",
  "category_3",
  "category_4",
  "article_1",
  "article_2",
  "article_3",
  "article_4",
  "article_5",
  "article_6",
] as const;

/** null stands for a direct visit (no referrer). */
const REFERRALS = [
  null,
  "Google Search",
  "Bing",
  "LinkedIn",
  "Twitter",
  "Facebook",
  "Medium",
  "YouTube",
  "StackOverflow",
  "Google Ads",
  "Facebook Ads",
] as const;
const AD_REFERRALS: ReadonlySet<string> = new Set(["Google Ads", "Facebook Ads"]);

interface Browser {
  name: string;
  majors: readonly [number, number];
}
const CHROME: Browser = { name: "Chrome", majors: [120, 131] };
const FIREFOX: Browser = { name: "Firefox", majors: [115, 133] };
const SAFARI: Browser = { name: "Safari", majors: [16, 18] };
const EDGE: Browser = { name: "Edge", majors: [120, 131] };
/** Safari only on Apple systems, Edge only elsewhere, so a record reads like a real device. */
const APPLE_SYSTEM = /^(macOS|iOS|iPadOS) /;
const APPLE_BROWSERS = [SAFARI, CHROME, FIREFOX] as const;
const OTHER_BROWSERS = [CHROME, FIREFOX, EDGE] as const;

const NETWORK_TYPES = ["Wi-Fi", "LAN", "5G", "4G", "3G"] as const;

const DEVICES = [
  { type: "PC", versions: ["Windows 10", "Windows 11", "Ubuntu 24.04"] },
  { type: "MacBook", versions: ["macOS 14", "macOS 15"] },
  { type: "Smartphone", versions: ["Android 13", "Android 14", "iOS 17", "iOS 18"] },
  { type: "Tablet", versions: ["Android 14", "iPadOS 17", "iPadOS 18"] },
] as const;

const USER_POOL_SIZE = 10_000;
const LOGGED_IN_SHARE = 0.4;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Draws the fixed part of a visit; `startTimeMs` dates the account of a logged-in user before the visit. */
export function newVisitProfile(random: Random, visitId: string, startTimeMs: number): VisitProfile {
  const userNumber = random.int(1, USER_POOL_SIZE);
  const loggedIn = random.chance(LOGGED_IN_SHARE);
  const referral = random.pick(REFERRALS);
  const device = random.pick(DEVICES);
  const deviceVersion = random.pick(device.versions);
  const browser = random.pick(APPLE_SYSTEM.test(deviceVersion) ? APPLE_BROWSERS : OTHER_BROWSERS);
  return {
    visit_id: visitId,
    user_id: `user_${userNumber}`,
    keep_private: random.chance(0.1),
    context: {
      referral,
      ad_id: referral !== null && AD_REFERRALS.has(referral) ? `ad_${random.int(1, 500)}` : null,
      user: {
        ip: `${random.int(1, 223)}.${random.int(0, 255)}.${random.int(0, 255)}.${random.int(1, 254)}`,
        login: loggedIn ? `login_${userNumber}` : null,
        connected_since: loggedIn ? new Date(startTimeMs - random.int(1, 1000) * DAY_MS).toISOString() : null,
      },
      technical: {
        browser: browser.name,
        browser_version: `${random.int(browser.majors[0], browser.majors[1])}.0`,
        network_type: random.pick(NETWORK_TYPES),
        device_type: device.type,
        device_version: deviceVersion,
      },
    },
  };
}

export function visitEvent(profile: VisitProfile, page: string, eventTimeMs: number): VisitEvent {
  // Spelled out rather than spread so the JSON keys keep the pattern's order.
  return {
    visit_id: profile.visit_id,
    event_time: new Date(eventTimeMs).toISOString(),
    user_id: profile.user_id,
    keep_private: profile.keep_private,
    page,
    context: profile.context,
  };
}
